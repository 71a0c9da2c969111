"""Complaints in a closed loop (投诉闭环): an app inside the package of its data."""
