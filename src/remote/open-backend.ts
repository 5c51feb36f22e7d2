/**
 * Opens the backend of a remote. Kept apart from the interface (backend.ts), which every backend
 * imports: a factory there that imports the backends would make each of them an import cycle.
 */
import type { RemoteBackend } from './backend.js';
import type { RemoteSpec } from './remote-config.js';

/** Opens the backend for `spec`, importing its (heavy) client library only now. */
export async function openBackend(spec: RemoteSpec, repoRoot: string): Promise<RemoteBackend> {
  switch (spec.location.kind) {
    case 'local': {
      const { LocalBackend } = await import('./local.js');
      return new LocalBackend(spec.location.path, spec.url);
    }
    case 'ssh': {
      const { SshBackend } = await import('./ssh.js');
      return SshBackend.connect(spec, spec.location, repoRoot);
    }
    case 's3': {
      const { S3Backend } = await import('./s3.js');
      return S3Backend.open(spec, spec.location);
    }
  }
}
