from tests.api.conftest import api_client  # noqa: F401  the API fixture
from tests.victims.conftest import register, uk_case, victim  # noqa: F401  the victims' fixtures
