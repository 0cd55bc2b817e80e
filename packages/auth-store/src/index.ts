// Public API of @airelays/auth-store. Nothing is exported yet.
export {}
