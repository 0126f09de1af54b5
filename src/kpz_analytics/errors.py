"""Errors the user can act on. The CLI prints their message on one line, never a traceback."""


class KpzError(Exception):
    """Base class: a problem with input or parameters, explained in the message."""


class ExtractRefused(KpzError):
    """A file-level problem in an extract: nothing is loaded. The message names the file."""


class TooManyBadRows(KpzError):
    """More than the allowed share of a file's rows was quarantined."""


class ParameterError(KpzError, ValueError):
    """An analysis parameter is invalid (empty age range, unknown source, year outside data)."""
