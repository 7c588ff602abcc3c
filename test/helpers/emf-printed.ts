import { vi } from 'vitest';

/** The CloudWatch embedded-metric documents (EMF) that Powertools Metrics printed to stdout while `act` ran. */
export function emfPrinted(act: () => void): Record<string, unknown>[] {
  const printed: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    write.mockRestore();
  }
  return printed
    .flatMap((text) => text.split('\n').filter((line) => line.includes('"_aws"')))
    .map((line) => JSON.parse(line));
}
