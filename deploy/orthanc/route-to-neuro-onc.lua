-- Orthanc -> neuro-onc-node routing (docs/integration.md). Each stable brain MR study is sent once to the node;
-- the node's SEG/SR come back into the same study, which makes it "stable" again: the NeuroOncRouted metadata
-- (declared in Orthanc's UserMetadata) stops that from sending the study a second time, and only MR series go out.
--
-- NEURO_ONC_TARGET: a DicomModalities entry (C-STORE) or a DicomWeb.Servers entry (STOW-RS), per NEURO_ONC_VIA.
NEURO_ONC_TARGET = NEURO_ONC_TARGET or 'neuroonc'
NEURO_ONC_VIA = NEURO_ONC_VIA or 'dimse'        -- 'dimse' or 'dicomweb'

local BRAIN_BODY_PARTS = { BRAIN = true, HEAD = true, SKULL = true }
local BRAIN_WORDS = { 'brain', 'head', 'neuro', 'cran', 'cereb', 'glio', 'tumou?r', 'kopf', 'schaedel', 'sch.del' }

local function isBrain(studyTags, series)
  for _, s in ipairs(series) do
    local part = string.upper(s.MainDicomTags.BodyPartExamined or '')
    if BRAIN_BODY_PARTS[part] then return true end
  end
  local desc = string.lower((studyTags.StudyDescription or '') .. ' ' .. (studyTags.RequestedProcedureDescription or ''))
  for _, w in ipairs(BRAIN_WORDS) do
    if string.find(desc, w) then return true end
  end
  return false
end

function OnStableStudy(studyId, tags, metadata)
  if metadata.NeuroOncRouted ~= nil and metadata.NeuroOncRouted ~= '' then return end
  local series = ParseJson(RestApiGet('/studies/' .. studyId .. '/series'))
  local mr = {}
  for _, s in ipairs(series) do
    if s.MainDicomTags.Modality == 'MR' then table.insert(mr, s.ID) end
  end
  if #mr == 0 or not isBrain(tags, series) then return end
  -- Mark first: a failed send is retried by an operator (or a job), never by a loop.
  RestApiPut('/studies/' .. studyId .. '/metadata/NeuroOncRouted', os.date('!%Y-%m-%dT%H:%M:%SZ'))
  if NEURO_ONC_VIA == 'dicomweb' then
    RestApiPost('/dicom-web/servers/' .. NEURO_ONC_TARGET .. '/stow', DumpJson({ Resources = mr, Synchronous = false }))
  else
    RestApiPost('/modalities/' .. NEURO_ONC_TARGET .. '/store', DumpJson({ Resources = mr, Synchronous = false }))
  end
  print('neuro-onc: routed study ' .. studyId .. ' (' .. #mr .. ' MR series) via ' .. NEURO_ONC_VIA)
end
