"""Attribution of leaks."""
