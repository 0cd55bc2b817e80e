// Public API of @airelays/file-inliner. Nothing is exported yet.
export {}
