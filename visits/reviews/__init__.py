"""Review meetings with the customer (年度/半年度回顾): an app inside visits."""
