import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { scanKeyLines } from './_internal/toml-lines'
import { validateConfig } from './validate'

describe('validateConfig', () => {
  it('returns only the valid values, normalised, and the issues without line numbers when no text is given', () => {
    const result = validateConfig({
      server: { host: ' 0.0.0.0 ', port: 'x' },
      upstream: { base_url: 'http://127.0.0.1:8/codex//' },
      providers: { openai: { balance: 'Round-Robin', extra_models: 'a, b' }, claude: { enabled: false } },
      paths: { codex_home: '~/.codex' },
      extra: true,
    })
    expect(result.config).toEqual({
      server: { host: '0.0.0.0' },
      upstream: { base_url: 'http://127.0.0.1:8/codex' },
      providers: { openai: { balance: 'round_robin', extra_models: ['a', 'b'] }, claude: { enabled: false } },
    })
    expect(result.errors).toEqual([
      {
        code: 'config_invalid_value',
        key: 'server.port',
        source: { kind: 'file', path: 'config.toml', line: null },
        message:
          'Invalid [server] port value "x" (a string) in config.toml: expected an integer from 1 to 65535. Using the default (8080).',
      },
    ])
    expect(result.warnings).toEqual([
      {
        code: 'config_unknown_key',
        key: 'extra',
        source: { kind: 'file', path: 'config.toml', line: null },
        message: 'Unknown top-level key extra in config.toml; it is ignored.',
      },
    ])
  })

  it('locates issues when given the TOML text and path', () => {
    const text = '[server]\n\n\nport = 0\n'
    const result = validateConfig(parse(text), { path: '/etc/airelays.toml', text })
    expect(result.errors[0]?.source).toEqual({ kind: 'file', path: '/etc/airelays.toml', line: 4 })
    expect(result.errors[0]?.message).toContain(
      'in /etc/airelays.toml:4: expected an integer from 1 to 65535',
    )
  })

  it('rejects input that is not a table', () => {
    for (const input of [null, 5, 'x', [1]]) {
      const result = validateConfig(input)
      expect(result.config).toEqual({})
      expect(result.errors.map((e) => e.code)).toEqual(['config_invalid_value'])
      expect(result.errors[0]?.message).toMatch(/expected a TOML table at the top level/)
    }
  })

  it('accepts a complete, valid file with no issues', () => {
    const text = [
      '[server]',
      'host = "127.0.0.1"',
      'port = 8080',
      '[security]',
      'require_bearer_auth = true',
      '[providers.openai]',
      'retry_backoff_seconds = [5, 20, 60]',
      '[providers.claude]',
      'models = ["claude:sonnet"]',
    ].join('\n')
    const result = validateConfig(parse(text), { text })
    expect(result.errors).toEqual([])
    expect(result.warnings).toEqual([])
  })
})

describe('line locator', () => {
  it('finds keys past multi-line strings, multi-line arrays, inline tables, comments and quoted keys', () => {
    const text = [
      '# header [server]', // 1
      'title = """', // 2
      '[server]', // 3  (inside a string)
      'port = 1', // 4  (inside a string)
      '"""', // 5
      "literal = '''", // 6
      'x = 1', // 7 (inside a string)
      "'''", // 8
      '[ server ] # the real one', // 9
      'list = [', // 10
      '  "a", # comment ]', // 11
      '  "b",', // 12
      ']', // 13
      'inline = { a = 1, b = [2, 3] }', // 14
      '"quoted.key" = 1', // 15
      'dotted.inner = "x]"', // 16
      'port = 2', // 17
      '[providers.openai]', // 18
      "  balance = 'ordered'", // 19
      'escaped = "a\\"b = c"', // 20
      'after = 1', // 21
    ].join('\r\n')
    parse(text) // the locator only sees valid TOML
    const lines = scanKeyLines(text)
    expect(lines.lineOf(['title'])).toBe(2)
    expect(lines.lineOf(['literal'])).toBe(6)
    expect(lines.lineOf(['server'])).toBe(9)
    expect(lines.lineOf(['server', 'list'])).toBe(10)
    expect(lines.lineOf(['server', 'inline'])).toBe(14)
    expect(lines.lineOf(['server', 'inline', 'a'])).toBe(14)
    expect(lines.lineOf(['server', 'quoted.key'])).toBe(15)
    expect(lines.lineOf(['server', 'dotted'])).toBe(16)
    expect(lines.lineOf(['server', 'dotted', 'inner'])).toBe(16)
    expect(lines.lineOf(['server', 'port'])).toBe(17)
    expect(lines.lineOf(['providers'])).toBe(18)
    expect(lines.lineOf(['providers', 'openai', 'balance'])).toBe(19)
    expect(lines.lineOf(['providers', 'openai', 'escaped'])).toBe(20)
    expect(lines.lineOf(['providers', 'openai', 'after'])).toBe(21)
    expect(lines.lineOf(['nowhere'])).toBeNull()
  })
})
