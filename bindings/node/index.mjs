// ESM entry of the npm package `chatseal`: the same objects as index.js.
import chatseal from './index.js'

export const {
  ClientSigningKey,
  ClientVerifyingKey,
  PlatformEncryptionKey,
  PlatformDecryptionKey,
  Issuer,
  Verifier,
  SsoToken,
  TenantVerifier,
  Keyring,
  publishedSampleKey,
  ChatsealError,
  MalformedTokenError,
  InvalidSignatureError,
  DecryptionFailedError,
  ExpiredError,
  ClaimRejectedError,
  KeyRejectedError,
  IoError,
  ApiMisuseError,
  KeyringError,
} = chatseal
export default chatseal
