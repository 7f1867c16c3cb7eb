// Loads the (authenticated) OpenAPI document with the key typed in, then shows Swagger UI with
// that key already authorised. Nothing is fetched from outside this server.
document.getElementById("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = document.getElementById("key").value;
  const status = document.getElementById("status");
  const answer = await fetch("/v1/openapi.json", { headers: { "X-API-Key": key } });
  if (!answer.ok) {
    status.textContent = "The key was refused (HTTP " + answer.status + ").";
    return;
  }
  status.textContent = "";
  const ui = SwaggerUIBundle({ spec: await answer.json(), dom_id: "#swagger-ui" });
  ui.preauthorizeApiKey("apiKeyHeader", key);
});
