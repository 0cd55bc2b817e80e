// Public API of airelays. Nothing is exported yet.
export {}
