"""What an operator sees of users_app: health, readiness and Prometheus metrics."""


def test_healthz_and_readyz_answer_when_the_database_does(client):
    assert client.get("/users/healthz").json == {"status": "ok"}
    ready = client.get("/users/readyz")
    assert ready.status_code == 200
    assert ready.json == {"status": "ready", "checks": {"database": "ok"}}


def test_metrics_count_requests_by_route_and_status(client):
    client.get("/users/login")
    client.get("/users/no-such-page")
    body = client.get("/users/metrics").get_data(as_text=True)
    assert 'shop_http_requests_total{app="users",method="GET",route="/users/login",status="200"}' in body
    assert 'route="unmatched",status="404"' in body
    assert "shop_http_request_duration_seconds_bucket" in body
