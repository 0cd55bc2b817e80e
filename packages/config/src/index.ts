// Public API of @airelays/config. Nothing is exported yet.
export {}
