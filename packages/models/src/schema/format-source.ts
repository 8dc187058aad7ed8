/**
 * Formats a generated file the way `npm run lint` checks the repository (Prettier, with the repo's
 * settings), so a fresh migration passes `prettier --check`. Prettier is a development dependency:
 * where it is not installed the text is kept as generated.
 */
export async function formatSource(file: string, text: string): Promise<string> {
  let prettier: typeof import('prettier');
  try {
    prettier = await import('prettier');
  } catch {
    return text;
  }
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}
