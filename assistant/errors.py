"""The exceptions the assistant raises. Messages say how to fix the problem.

They become user text only at the edges (CLI, UI); inside the package they are raised
and caught as types.
"""


class AssistantError(Exception):
    """Base class: anything the user can act on."""


class ConfigError(AssistantError):
    """A setting is missing or wrong."""


class InputError(AssistantError):
    """A question or a file the assistant cannot take."""


class IngestError(AssistantError):
    """A file could not be read or indexed."""


class IndexMismatchError(AssistantError):
    """The index was built by a different embedding model than the one configured."""


class ModelError(AssistantError):
    """A call to the chat or embedding model failed."""


class IndexUnavailableError(AssistantError):
    """The Chroma server holding the index cannot be reached."""
