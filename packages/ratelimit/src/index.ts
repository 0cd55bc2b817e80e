// Public API of @airelays/ratelimit. Nothing is exported yet.
export {}
