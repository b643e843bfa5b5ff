"""GitHub-in-a-box: run a project's workflows under `act` against a local origin and stand-ins.

Modules: `tools` (find a tool or skip/fail), `origin` (a bare repository playing GitHub's side
of git), `events` (event payloads), `workflow_files` (what the YAML asks for), `standins` (local
actions and the recording `cml`/`gh`/`npm`), `runner` (act in host mode, its JSON log parsed),
`box` (all of it wired together per test), `lint` (actionlint, zizmor, check-jsonschema, house
rules).
"""
