// Accessibility check of the end-to-end test: axe-core (the npm package) injected into the page.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE_SCRIPT = createRequire(import.meta.url).resolve(
  'axe-core/axe.min.js',
);

/**
 * Runs axe-core on the page as it is and fails on serious or critical violations (WCAG 2.x A/AA
 * and best-practice rules), naming each rule and up to three of its elements.
 */
export async function checkAccessibility(page, what) {
  // Evaluated through the DevTools protocol: the app's Content Security Policy forbids inline
  // scripts, so a script tag would be refused (and the policy must stay as it is under test).
  await page.evaluate(readFileSync(AXE_SCRIPT, 'utf8'));
  const { violations, passes } = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ['violations'] }),
  );
  const serious = violations.filter(
    v => v.impact === 'serious' || v.impact === 'critical',
  );
  const minor = violations.length - serious.length;
  if (serious.length > 0) {
    throw new Error(
      `${what}: ${
        serious.length
      } serious or critical accessibility violations:\n${serious
        .map(
          v =>
            `  ${v.impact} ${v.id}: ${v.help} (${v.nodes.length}×: ${v.nodes
              .slice(0, 3)
              .map(n => n.target.join(' '))
              .join(' | ')})`,
        )
        .join('\n')}`,
    );
  }
  console.log(
    `[e2e] ${what}: axe finds no serious or critical violation (${passes.length} rules pass, ${minor} minor or moderate)`,
  );
}
