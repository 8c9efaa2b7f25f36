"""The reviewer API and console: the only place where domain errors become HTTP statuses."""
