"""Reference data: ethnic groups, participant categories, training topics, organisations, signers."""
