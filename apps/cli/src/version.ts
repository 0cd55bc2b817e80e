import packageJson from '../package.json'

/** The version of the `airelays` package (shown in every title and by `airelays --version`). */
export const VERSION: string = packageJson.version
