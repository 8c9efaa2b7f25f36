import pytest

from shared.runtime import Resource, Resources

ENGINE: Resource[str] = Resource("engine")


def test_a_resource_is_found_by_its_own_key_only() -> None:
    resources = Resources()
    resources.put(ENGINE, "loaded")
    assert resources.get(ENGINE) == "loaded"
    # Another key of the same name is another resource: names cannot collide by accident.
    assert resources.find(Resource[str]("engine")) is None


def test_a_resource_not_loaded_yet_names_itself() -> None:
    with pytest.raises(LookupError, match="'engine' is not loaded"):
        Resources().get(ENGINE)
    assert Resources().find(ENGINE) is None
