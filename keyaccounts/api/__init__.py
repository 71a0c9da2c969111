"""The REST API's shared machinery: errors, the sync contract, paging, throttling."""
