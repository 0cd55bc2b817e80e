// A route of the host itself.
export default () => ({ hello: 'from nitro' })
