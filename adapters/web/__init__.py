"""The web dashboard: the organization's OKRs as a tree, each team's four-square, wins and the method's advice.

Open on the loopback interface; on any other interface every page needs a session from a signed
`/okr dashboard` link (adapters.web.access). `routes.mount` serves the pages; the package itself loads
nothing, so the loopback rule (access.is_loopback) or the configuration can be imported without them.
"""
