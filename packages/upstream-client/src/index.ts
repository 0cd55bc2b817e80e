// Public API of @airelays/upstream-client. Nothing is exported yet.
export {}
