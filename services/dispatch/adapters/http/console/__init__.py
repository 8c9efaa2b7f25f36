"""The reviewer console: server-rendered pages over the same rules as the reviewer API."""
