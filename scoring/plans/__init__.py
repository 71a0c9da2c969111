"""Account plans (大客户计划): an app of its own, inside the package whose data it is about."""
