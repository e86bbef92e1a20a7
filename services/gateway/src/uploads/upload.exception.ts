import { UPLOADABLE_EXTENSIONS } from '@modelyard/model-formats';
import { DomainException } from '@modelyard/platform';

export enum UploadErrorCode {
  NotMultipart = 'upload_not_multipart',
  NoFile = 'upload_no_file',
  UnsupportedExtension = 'upload_unsupported_extension',
  InvalidFileName = 'upload_invalid_file_name',
  InvalidFile = 'upload_invalid_file',
  TooLarge = 'upload_too_large',
}

export const UploadException = {
  notMultipart: () =>
    new DomainException(415, UploadErrorCode.NotMultipart, 'Send the file as multipart/form-data, in a field named "file".'),
  noFile: () => new DomainException(422, UploadErrorCode.NoFile, 'The request holds no file: send it in a multipart field named "file".', [
    { field: 'file', detail: 'required' },
  ]),
  unsupportedExtension: (name: string) =>
    new DomainException(
      422,
      UploadErrorCode.UnsupportedExtension,
      `"${name}" is not a supported model file; the extension must be one of ${UPLOADABLE_EXTENSIONS.join(' ')}.`,
      [{ field: 'file', detail: `extension must be one of ${UPLOADABLE_EXTENSIONS.join(' ')}` }],
    ),
  invalidFileName: (reason: string) =>
    new DomainException(422, UploadErrorCode.InvalidFileName, `The file name is not acceptable: ${reason}.`, [{ field: 'file', detail: reason }]),
  invalidFile: (reason: string) =>
    new DomainException(422, UploadErrorCode.InvalidFile, `The file does not hold what its extension says: ${reason}`, [{ field: 'file', detail: reason }]),
  tooLarge: (limit: number) =>
    new DomainException(413, UploadErrorCode.TooLarge, `The file is larger than the upload limit of ${limit} bytes (MODELYARD_UPLOAD_LIMIT).`),
};
