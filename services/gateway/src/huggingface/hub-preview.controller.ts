import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { isHubRepoId } from '@modelyard/contracts';
import { APP_CONFIG, DomainException, messageOf, type AppConfig } from '@modelyard/platform';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

/** A preview lists at most this many files: enough to choose, bounded for repos with thousands. */
const MAX_FILES = 1000;

class HubFilePreviewDto {
  @ApiProperty({ example: 'onnx/model.onnx' }) path!: string;
  @ApiProperty({ description: 'Bytes.' }) size!: number;
}

export class HubModelPreviewDto {
  @ApiProperty({ example: 'Xenova/all-MiniLM-L6-v2' }) id!: string;
  @ApiProperty({ description: 'The commit the preview describes.' }) sha!: string;
  @ApiProperty({ type: String, nullable: true, example: 'feature-extraction' }) pipeline_tag!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'transformers.js' }) library_name!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: String, nullable: true, example: 'apache-2.0' }) license!: string | null;
  @ApiProperty({ description: 'false, "auto" or "manual": a gated repo needs a token that was granted access.', oneOf: [{ type: 'boolean' }, { type: 'string' }] })
  gated!: false | 'auto' | 'manual';
  @ApiProperty() private!: boolean;
  @ApiProperty({ type: [HubFilePreviewDto] }) files!: HubFilePreviewDto[];
  @ApiProperty({ description: 'Whether the repo has more files than listed.' }) files_truncated!: boolean;
}

/**
 * What the Hub says about a repo before it is imported (the console's live preview): task, library,
 * licence, gating and files with sizes. Asked with the platform's MODELYARD_HF_TOKEN, if any.
 */
@ApiTags('Hugging Face')
@ApiBearerAuth()
@ApiProblems(401, 404, 422, 502)
@RequirePermission('hub.preview')
@Controller('api/v1/huggingface/models')
export class HubPreviewController {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  @Get(':name')
  @ApiOperation({ summary: 'Preview a Hugging Face model repo (no namespace)' })
  @ApiParam({ name: 'name', example: 'gpt2' })
  @ApiOkResponse({ type: HubModelPreviewDto })
  previewTopLevel(@Param('name') name: string): Promise<HubModelPreviewDto> {
    return this.preview(name);
  }

  @Get(':namespace/:name')
  @ApiOperation({ summary: 'Preview a Hugging Face model repo' })
  @ApiParam({ name: 'namespace', example: 'Xenova' })
  @ApiParam({ name: 'name', example: 'all-MiniLM-L6-v2' })
  @ApiOkResponse({ type: HubModelPreviewDto })
  previewNamespaced(@Param('namespace') namespace: string, @Param('name') name: string): Promise<HubModelPreviewDto> {
    return this.preview(`${namespace}/${name}`);
  }

  private async preview(repo: string): Promise<HubModelPreviewDto> {
    if (!isHubRepoId(repo)) {
      const detail = `"${repo.slice(0, 200)}" is not a Hugging Face repo id such as "gpt2" or "org/model"`;
      throw new DomainException(422, 'validation_failed', detail, [{ field: 'repo', detail }]);
    }
    const { endpoint, token } = this.config.huggingFace;
    const hub = { hubUrl: endpoint, ...(token && { accessToken: token }) };
    try {
      const info = await modelInfo({ name: repo, additionalFields: ['sha', 'cardData', 'library_name', 'tags'], ...hub });
      const files: HubFilePreviewDto[] = [];
      let truncated = false;
      for await (const entry of listFiles({ repo, revision: info.sha, recursive: true, ...hub })) {
        if (entry.type !== 'file') continue;
        if (files.length === MAX_FILES) {
          truncated = true;
          break;
        }
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
      }
      const card = (info.cardData ?? {}) as { license?: unknown };
      const licenseTag = info.tags?.find((tag) => tag.startsWith('license:'))?.slice('license:'.length);
      return {
        id: info.name,
        sha: info.sha,
        pipeline_tag: info.task ?? null,
        library_name: info.library_name ?? null,
        tags: info.tags ?? [],
        license: typeof card.license === 'string' ? card.license : (licenseTag ?? null),
        gated: info.gated ?? false,
        private: info.private ?? false,
        files,
        files_truncated: truncated,
      };
    } catch (error) {
      if (error instanceof HubApiError && (error.statusCode === 404 || error.statusCode === 401)) {
        throw new DomainException(404, 'hub_repo_not_found', `${repo} was not found on ${endpoint} (it does not exist, or it is private).`);
      }
      throw new DomainException(502, 'hub_unavailable', `The Hugging Face Hub at ${endpoint} could not answer for ${repo}: ${messageOf(error)}`);
    }
  }
}
