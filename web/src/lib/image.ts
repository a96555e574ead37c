// Shrinks a picture in the browser before upload: at most `max` px on the longer side, JPEG
// (or WebP, which keeps transparency). Phones take 12-megapixel photos; an avatar needs 512 px,
// a chat picture 2048 px, and mobile data is dear.

export const AVATAR_MAX_PX = 512;
export const CHAT_IMAGE_MAX_PX = 2048;

export function fitWithin(width: number, height: number, max: number): { width: number; height: number } {
  if (width <= max && height <= max) return { width, height };
  const scale = max / Math.max(width, height);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

async function loadImage(file: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; done: () => void }> {
  if (typeof createImageBitmap === 'function') {
    const bitmap = await createImageBitmap(file);
    return { source: bitmap, width: bitmap.width, height: bitmap.height, done: () => bitmap.close() };
  }
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.decoding = 'async';
  img.src = url;
  await img.decode();
  return { source: img, width: img.naturalWidth, height: img.naturalHeight, done: () => URL.revokeObjectURL(url) };
}

export async function shrinkImage(file: Blob, max = AVATAR_MAX_PX, type: 'image/jpeg' | 'image/webp' = 'image/jpeg'): Promise<Blob> {
  const image = await loadImage(file);
  try {
    const size = fitWithin(image.width, image.height, max);
    const canvas = document.createElement('canvas');
    canvas.width = size.width;
    canvas.height = size.height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2d context unavailable');
    if (type === 'image/jpeg') {
      ctx.fillStyle = '#ffffff'; // transparent PNGs become white, not black, as JPEG
      ctx.fillRect(0, 0, size.width, size.height);
    }
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(image.source, 0, 0, size.width, size.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob failed'))), type, 0.88),
    );
  } finally {
    image.done();
  }
}
