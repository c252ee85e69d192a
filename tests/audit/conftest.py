from tests.victims.conftest import register, uk_case, victim  # noqa: F401  the victims' fixtures
