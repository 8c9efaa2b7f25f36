"""Human-review dispatch: queue, reviewers, leases, decisions, statements of reasons."""
