"""Money risk (回款风险): receivables by age, the credit limit and the flags (`risk`), the
account page's Money section and the closing gate (`sections`), the demo's terms and
flags (`demo`). docs/architecture.md, "Money risk"."""
