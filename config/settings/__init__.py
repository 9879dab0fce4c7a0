"""EWERS settings: one package, every knob from an environment variable.

Development defaults are safe to run on a laptop (SQLite, tasks in-process). With
``DEBUG`` off the settings refuse to load unless the secrets and hosts a real deployment
needs are set: an insecure production start is a configuration error, not a warning.

Each section reads the environment through the typed helpers of ``environment`` and is
gathered here, in order (a later section may read an earlier one's values).
"""

from config.settings.api import *  # noqa: F403
from config.settings.environment import *  # noqa: F403
from config.settings.product import *  # noqa: F403
from config.settings.project import *  # noqa: F403
from config.settings.security import *  # noqa: F403
from config.settings.tasks import *  # noqa: F403
