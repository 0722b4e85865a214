"""The whole shop started on free ports (Stack) and driven over HTTP (ShopClient): shared by tests/ and bench/."""
