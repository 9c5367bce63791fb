from tests.factories import PetFactory


def test_alice_sees_her_pet_and_bob_does_not(alice, alice_api, bob_api):
    pet = PetFactory(owner=alice, name="Luna")
    assert alice_api.get(f"/api/pets/{pet.pk}/").json()["name"] == "Luna"
    assert bob_api.get(f"/api/pets/{pet.pk}/").status_code == 404
