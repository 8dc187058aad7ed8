import QRCode from 'qrcode';

/**
 * The enrolment QR code as inline SVG (no image request, nothing for a CSP to allow), with a title for
 * screen readers; the page also prints the secret for typing it in by hand.
 */
export async function qrCodeSvg(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 200 });
  return svg.replace('<svg ', '<svg role="img" aria-label="QR code for your authenticator app" ');
}
