"""A person in the loop: ask through the ``external`` domain, wait, or give up after a timeout."""
