"""The OpenAPI schema and its offline documentation pages."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_schema_describes_every_endpoint_and_the_key_auth(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/reports/", "/api/v1/staff/reports/{number}/dispose/", "/api/v1/staff/webhooks/"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }
    submit = schema["paths"]["/api/v1/reports/"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in submit["parameters"]}
    assert {"201", "400", "429"} <= set(submit["responses"])


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/docs/redoc/"])
def test_the_documentation_is_served_without_a_cdn(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar" in page
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
