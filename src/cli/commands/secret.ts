import type { Command } from 'commander';
import { accessScopes } from '../../config/sections/http';
import { newSecret } from '../../web/access-control';

/**
 * `neuro-onc-node new-secret <user> --scopes store,read` prints a random secret for one HTTP API user and the
 * http.auth.users entry (with only the secret's sha256) to paste into the configuration.
 */
export function registerSecretCommand(program: Command): void {
  program
    .command('new-secret <user>')
    .description('make a random secret for an HTTP API user; prints the secret (give it to the caller) and the config entry (holds only its sha256)')
    .option('--scopes <list>', 'comma-separated: store (STOW), read (QIDO/WADO, jobs, pages), operate (retry, ready, echo), metrics (/metrics only)', 'read')
    .action((user: string, opts: { scopes: string }) => {
      const scopes = opts.scopes.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = scopes.filter((s) => !(accessScopes as readonly string[]).includes(s));
      if (bad.length || !scopes.length) {
        process.stderr.write(`neuro-onc-node: unknown scope(s) ${bad.join(', ') || '(none)'}: use ${accessScopes.join(', ')}\n`);
        process.exit(2);
      }
      const { secret, secretSha256 } = newSecret();
      process.stdout.write(
        `secret (send as "Authorization: Bearer <secret>" or as the Basic password of user ${user}; shown once):\n${secret}\n\n` +
          `configuration (http.auth.users):\n${JSON.stringify({ name: user, secretSha256, scopes })}\n`,
      );
    });
}
