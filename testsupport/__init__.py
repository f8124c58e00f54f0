"""What the tests share: live daphne clusters, fault injection, in-process socket clients, tokens and
statement capture. Test code only; nothing outside the tests imports it."""
