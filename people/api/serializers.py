"""The person index in the API: the case detail's `people` section and the look-up."""

from __future__ import annotations
