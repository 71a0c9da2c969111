"""An account's grade on the pages: the account page's Grade card (`card`), the grade's
history, the rep's assessment and a manager's pin (`views`)."""
