"""Review meetings with the customer (年度/半年度回顾): an app of its own, inside the package whose data it is about."""
