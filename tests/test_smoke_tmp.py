from tests.conftest import new_conversation


async def test_create(agent):
    r = await agent.client.post("/api/v1/conversations", json=new_conversation())
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    r = await agent.client.get(f"/api/v1/conversations/{cid}/messages")
    assert r.json()[0]["seq"] == 1
    r = await agent.client.get("/api/v1/conversations")
    assert r.json()["counts"]["open"] == 1
