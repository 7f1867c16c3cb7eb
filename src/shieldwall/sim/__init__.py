"""The world simulator: synthetic people, orders and behaviour, and the attack scenarios.

:mod:`.people` makes plausible customers (zh_CN names, valid GB 11643 ID numbers, valid CN mobile
numbers, addresses whose province, city and county match the ID's area code).
"""
