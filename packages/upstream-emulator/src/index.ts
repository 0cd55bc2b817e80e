// Public API of @airelays/upstream-emulator. Nothing is exported yet.
export {}
