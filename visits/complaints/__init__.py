"""Complaints in a closed loop (投诉闭环): an app of its own, inside the package whose data it is about."""
