"""The service policy by grade: `current_policy()` is how everything reads it."""

from .current import Policy, PolicyRow, current_policy, forget_policy

__all__ = ["Policy", "PolicyRow", "current_policy", "forget_policy"]
