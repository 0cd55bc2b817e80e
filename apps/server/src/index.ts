// Public API of @airelays/server. Nothing is exported yet.
export {}
