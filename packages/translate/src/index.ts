// Public API of @airelays/translate. Nothing is exported yet.
export {}
